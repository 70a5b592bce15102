//! The tables of a workflow's records (service requests, applications): the record in the
//! caller's streets, locked for a move, the move written, and the history of moves in a
//! table of its own. Declared once here, by `workflow_tables!`, for every workflow; the
//! engine that drives them is `service::workflow`.

/// One step of a record's history, as its workflow's `record_step` writes it.
pub struct Step<'a> {
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    pub actor_id: Option<uuid::Uuid>,
    pub note: Option<&'a str>,
}

/// In the module of a workflow's records: `find`, `find_for_update` and `apply` on
/// `$records` (rows `$Row` with a `street_id`, moves `$Move: AsChangeset`), and
/// `Transition`, `NewTransition`, `record_transition` and `transitions_of` on `$history`,
/// whose rows name their record by `$owner`.
macro_rules! workflow_tables {
    (records: $records:ident, row: $Row:ident, moves: $Move:ident, history: $history:ident, owner: $owner:ident) => {
        /// A record; outside `scope` it is not there.
        pub fn find(conn: &mut PgConnection, id: Uuid, scope: &crate::domain::StreetScope) -> QueryResult<$Row> {
            let row = $records::table.find(id).select($Row::as_select()).get_result(conn)?;
            crate::db::within_scope(scope, row.street_id, row)
        }

        /// A record, locked so that racing moves queue up and the second sees the first's
        /// result; outside `scope` it is not there.
        pub fn find_for_update(
            conn: &mut PgConnection,
            id: Uuid,
            scope: &crate::domain::StreetScope,
        ) -> QueryResult<$Row> {
            let row = $records::table.find(id).select($Row::as_select()).for_update().get_result(conn)?;
            crate::db::within_scope(scope, row.street_id, row)
        }

        /// Writes what a move changes, moving the version on.
        pub fn apply(conn: &mut PgConnection, id: Uuid, change: &$Move) -> QueryResult<$Row> {
            diesel::update($records::table.find(id))
                .set((change, $records::version.eq($records::version + 1), $records::updated_at.eq(diesel::dsl::now)))
                .returning($Row::as_returning())
                .get_result(conn)
        }

        /// One move on a record's history.
        #[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
        #[diesel(table_name = $history, check_for_backend(diesel::pg::Pg))]
        pub struct Transition {
            pub id: Uuid,
            pub $owner: Uuid,
            pub action: String,
            pub from_status: Option<String>,
            pub to_status: String,
            /// `None`: a move the system made (an import from the command line moved the
            /// record's enterprise).
            pub actor_id: Option<Uuid>,
            pub note: Option<String>,
            pub at: chrono::DateTime<chrono::Utc>,
        }

        #[derive(Debug, Insertable)]
        #[diesel(table_name = $history)]
        pub struct NewTransition<'a> {
            pub id: Uuid,
            pub $owner: Uuid,
            pub action: &'a str,
            pub from_status: Option<&'a str>,
            pub to_status: &'a str,
            pub actor_id: Option<Uuid>,
            pub note: Option<&'a str>,
        }

        pub fn record_transition(conn: &mut PgConnection, transition: &NewTransition) -> QueryResult<Transition> {
            diesel::insert_into($history::table)
                .values(transition)
                .returning(Transition::as_returning())
                .get_result(conn)
        }

        /// Writes `step` on record `record`'s history.
        pub fn record_step(
            conn: &mut PgConnection,
            record: Uuid,
            step: &crate::db::workflow_tables::Step<'_>,
        ) -> QueryResult<()> {
            let row = NewTransition {
                id: Uuid::now_v7(),
                $owner: record,
                action: step.action,
                from_status: step.from_status,
                to_status: step.to_status,
                actor_id: step.actor_id,
                note: step.note,
            };
            record_transition(conn, &row).map(drop)
        }

        /// A record's history, oldest first.
        pub fn transitions_of(conn: &mut PgConnection, record: Uuid) -> QueryResult<Vec<Transition>> {
            $history::table
                .filter($history::$owner.eq(record))
                .order($history::id)
                .select(Transition::as_select())
                .load(conn)
        }
    };
}
