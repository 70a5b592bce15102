// @generated automatically by Diesel CLI.

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        name -> Text,
        key_hash -> Bytea,
        prefix -> Text,
        scopes -> Array<Nullable<Text>>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    application_counts (batch_year, street_id, tier, status) {
        batch_year -> Int4,
        street_id -> Uuid,
        tier -> Text,
        status -> Text,
        n -> Int8,
    }
}

diesel::table! {
    application_transitions (id) {
        id -> Uuid,
        application_id -> Uuid,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Nullable<Uuid>,
        note -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    applications (id) {
        id -> Uuid,
        enterprise_id -> Uuid,
        street_id -> Nullable<Uuid>,
        tier -> Text,
        batch_year -> Int4,
        status -> Text,
        created_by -> Uuid,
        outcome_note -> Nullable<Text>,
        decided_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        kind -> Text,
    }
}

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
        txid -> Int8,
        seq -> Int8,
    }
}

diesel::table! {
    certificates (id) {
        id -> Uuid,
        enterprise_id -> Uuid,
        tier -> Text,
        certificate_no -> Nullable<Text>,
        effective_on -> Date,
        valid_until -> Nullable<Date>,
        batch -> Nullable<Text>,
        source -> Text,
        ended_on -> Nullable<Date>,
        end_reason -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    console_sessions (id) {
        id -> Uuid,
        token_hash -> Bytea,
        user_id -> Uuid,
        csrf_token -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    coverage_counts (last_visited_on, street_id, tier) {
        last_visited_on -> Date,
        street_id -> Uuid,
        tier -> Text,
        n -> Int8,
    }
}

diesel::table! {
    enterprise_counts (street_id, park_id, cluster, tier) {
        street_id -> Uuid,
        park_id -> Uuid,
        cluster -> Text,
        tier -> Text,
        n -> Int8,
    }
}

diesel::table! {
    enterprise_indicators (enterprise_id, year) {
        enterprise_id -> Uuid,
        year -> Int4,
        figures -> Jsonb,
        version -> Int4,
        updated_at -> Timestamptz,
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
        last_visited_at -> Nullable<Timestamptz>,
        last_visited_on -> Nullable<Date>,
    }
}

diesel::table! {
    funnel_counts (entry_year, street_id, from_tier, tier) {
        entry_year -> Int4,
        street_id -> Uuid,
        from_tier -> Text,
        tier -> Text,
        entrants -> Int8,
        within_1y -> Int8,
        within_2y -> Int8,
        within_3y -> Int8,
    }
}

diesel::table! {
    idempotency_keys (owner_id, key) {
        owner_id -> Uuid,
        key -> Text,
        request_hash -> Bytea,
        response -> Nullable<Jsonb>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    import_runs (id) {
        id -> Uuid,
        user_id -> Uuid,
        file_name -> Text,
        kind -> Text,
        dry_run -> Bool,
        rows_total -> Int4,
        rows_done -> Int4,
        report -> Nullable<Jsonb>,
        failure -> Nullable<Text>,
        started_at -> Timestamptz,
        heard_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    login_failures (key) {
        key -> Text,
        window_started_at -> Timestamptz,
        failures -> Int4,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        family_id -> Uuid,
        user_id -> Uuid,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
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

diesel::table! {
    request_month_counts (month, street_id, category) {
        month -> Date,
        street_id -> Uuid,
        category -> Text,
        resolved -> Int8,
        hours_total -> Float8,
        hours_histogram -> Array<Nullable<Int8>>,
        rated -> Int8,
        rating_total -> Int8,
    }
}

diesel::table! {
    request_transitions (id) {
        id -> Uuid,
        request_id -> Uuid,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Nullable<Uuid>,
        note -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    rung_entries (id) {
        id -> Uuid,
        enterprise_id -> Uuid,
        street_id -> Nullable<Uuid>,
        from_tier -> Text,
        tier -> Text,
        entered_on -> Date,
        reached_next_on -> Nullable<Date>,
        left_on -> Nullable<Date>,
    }
}

diesel::table! {
    service_requests (id) {
        id -> Uuid,
        enterprise_id -> Uuid,
        street_id -> Nullable<Uuid>,
        visit_id -> Nullable<Uuid>,
        category -> Text,
        priority -> Text,
        title -> Text,
        description -> Text,
        status -> Text,
        assignee_id -> Nullable<Uuid>,
        raised_by -> Uuid,
        due_at -> Timestamptz,
        resolved_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        satisfaction -> Nullable<Int2>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        acknowledge_due_at -> Nullable<Timestamptz>,
        acknowledged_at -> Nullable<Timestamptz>,
        contact_due_at -> Nullable<Timestamptz>,
        contacted_at -> Nullable<Timestamptz>,
        callback_due_at -> Nullable<Timestamptz>,
        called_back_at -> Nullable<Timestamptz>,
        callback_channel -> Nullable<Text>,
        stage -> Nullable<Text>,
        stage_due_at -> Nullable<Timestamptz>,
        urge_at -> Nullable<Timestamptz>,
        urged_at -> Nullable<Timestamptz>,
        supervised_at -> Nullable<Timestamptz>,
        extension_days -> Nullable<Int2>,
        extensions -> Int2,
        callbacks -> Int2,
        callback_rating_total -> Int2,
        reopened -> Int2,
        transferred_street_id -> Nullable<Uuid>,
        department -> Nullable<Text>,
        source -> Text,
        external_no -> Nullable<Text>,
    }
}

diesel::table! {
    targets (year, region_id, tier) {
        year -> Int4,
        region_id -> Uuid,
        tier -> Text,
        target -> Int4,
        set_by -> Uuid,
        set_at -> Timestamptz,
    }
}

diesel::table! {
    tier_changes (id) {
        id -> Uuid,
        enterprise_id -> Uuid,
        kind -> Text,
        from_tier -> Text,
        to_tier -> Text,
        effective_on -> Date,
        certificate_id -> Nullable<Uuid>,
        reason -> Nullable<Text>,
        note -> Nullable<Text>,
        source -> Text,
        actor_kind -> Text,
        actor_id -> Nullable<Uuid>,
        rule_set -> Nullable<Text>,
        application_id -> Nullable<Uuid>,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    user_streets (user_id, street_id) {
        user_id -> Uuid,
        street_id -> Uuid,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    visits (id) {
        id -> Uuid,
        enterprise_id -> Uuid,
        street_id -> Nullable<Uuid>,
        counselor_id -> Uuid,
        visited_at -> Timestamptz,
        channel -> Text,
        purposes -> Array<Nullable<Text>>,
        participants -> Nullable<Text>,
        summary -> Text,
        findings -> Nullable<Text>,
        next_steps -> Nullable<Text>,
        follow_up_on -> Nullable<Date>,
        latitude -> Nullable<Float8>,
        longitude -> Nullable<Float8>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    obligations (id) {
        id -> Uuid,
        enterprise_id -> Uuid,
        street_id -> Nullable<Uuid>,
        certificate_id -> Nullable<Uuid>,
        code -> Text,
        period -> Int4,
        due_on -> Date,
        national_due_on -> Date,
        done_at -> Nullable<Timestamptz>,
        done_by -> Nullable<Uuid>,
        evidence -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    readiness (enterprise_id, target_tier) {
        enterprise_id -> Uuid,
        target_tier -> Text,
        street_id -> Nullable<Uuid>,
        next -> Bool,
        met -> Int2,
        total -> Int2,
        short -> Int2,
        shortfall -> Float4,
        computed_at -> Timestamptz,
    }
}

diesel::table! {
    readiness_basis (only_row) {
        only_row -> Bool,
        fingerprint -> Text,
        computed_at -> Timestamptz,
    }
}

diesel::table! {
    standing_terms (enterprise_id) {
        enterprise_id -> Uuid,
        street_id -> Nullable<Uuid>,
        tier -> Text,
        certificate_id -> Uuid,
        valid_until -> Date,
    }
}

diesel::table! {
    rung_risks (enterprise_id) {
        enterprise_id -> Uuid,
        street_id -> Nullable<Uuid>,
        tier -> Text,
        rule_set -> Text,
        gaps -> Jsonb,
        computed_at -> Timestamptz,
    }
}

diesel::joinable!(api_keys -> users (created_by));
diesel::joinable!(application_transitions -> applications (application_id));
diesel::joinable!(application_transitions -> users (actor_id));
diesel::joinable!(applications -> enterprises (enterprise_id));
diesel::joinable!(applications -> regions (street_id));
diesel::joinable!(applications -> users (created_by));
diesel::joinable!(certificates -> enterprises (enterprise_id));
diesel::joinable!(console_sessions -> users (user_id));
diesel::joinable!(enterprise_indicators -> enterprises (enterprise_id));
diesel::joinable!(import_runs -> users (user_id));
diesel::joinable!(obligations -> certificates (certificate_id));
diesel::joinable!(obligations -> enterprises (enterprise_id));
diesel::joinable!(readiness -> enterprises (enterprise_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(request_transitions -> service_requests (request_id));
diesel::joinable!(request_transitions -> users (actor_id));
diesel::joinable!(rung_entries -> enterprises (enterprise_id));
diesel::joinable!(rung_entries -> tier_changes (id));
diesel::joinable!(rung_risks -> enterprises (enterprise_id));
diesel::joinable!(service_requests -> enterprises (enterprise_id));
diesel::joinable!(service_requests -> regions (street_id));
diesel::joinable!(service_requests -> visits (visit_id));
diesel::joinable!(targets -> regions (region_id));
diesel::joinable!(targets -> users (set_by));
diesel::joinable!(tier_changes -> applications (application_id));
diesel::joinable!(tier_changes -> certificates (certificate_id));
diesel::joinable!(tier_changes -> enterprises (enterprise_id));
diesel::joinable!(user_streets -> regions (street_id));
diesel::joinable!(user_streets -> users (user_id));
diesel::joinable!(visits -> enterprises (enterprise_id));
diesel::joinable!(visits -> regions (street_id));
diesel::joinable!(visits -> users (counselor_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    application_counts,
    application_transitions,
    applications,
    audit_log,
    certificates,
    console_sessions,
    coverage_counts,
    enterprise_counts,
    enterprise_indicators,
    enterprises,
    funnel_counts,
    idempotency_keys,
    import_runs,
    login_failures,
    obligations,
    readiness,
    readiness_basis,
    refresh_tokens,
    regions,
    request_month_counts,
    request_transitions,
    rung_entries,
    rung_risks,
    service_requests,
    standing_terms,
    targets,
    tier_changes,
    user_streets,
    users,
    visits,
);
