// @generated automatically by Diesel CLI.

diesel::table! {
    audit_log (id) {
        id -> Uuid,
        at -> Timestamptz,
        actor_kind -> Text,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        entity -> Text,
        entity_id -> Uuid,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        request_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    enterprises (id) {
        id -> Uuid,
        uscc -> Text,
        name -> Text,
        name_grams -> Array<Nullable<Text>>,
        street_id -> Nullable<Uuid>,
        park_id -> Nullable<Uuid>,
        cluster -> Nullable<Text>,
        established_on -> Nullable<Date>,
        address -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        employees -> Nullable<Int4>,
        tags -> Array<Nullable<Text>>,
        tier -> Text,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        archived_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    regions (id) {
        id -> Uuid,
        kind -> Text,
        code -> Text,
        name -> Text,
        parent_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(audit_log, enterprises, regions,);
