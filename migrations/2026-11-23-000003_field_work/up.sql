-- 走访: a counselor's contact with an enterprise.
CREATE TABLE visits (
    id            uuid PRIMARY KEY,
    enterprise_id uuid NOT NULL REFERENCES enterprises (id),
    -- The enterprise's street at the time of the visit, so that lists by street are one
    -- index range and do not change when an enterprise moves later.
    street_id     uuid REFERENCES regions (id),
    counselor_id  uuid NOT NULL REFERENCES users (id),
    visited_at    timestamptz NOT NULL,
    channel       text NOT NULL CHECK (channel IN ('onsite', 'phone', 'video', 'event')),
    purposes      text[] NOT NULL,
    participants  text,
    summary       text NOT NULL,
    findings      text,
    next_steps    text,
    follow_up_on  date,
    latitude      double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude     double precision CHECK (longitude BETWEEN -180 AND 180),
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Lists run newest visit first; each filter is a range ending in (visited_at, id).
CREATE INDEX visits_enterprise_idx ON visits (enterprise_id, visited_at DESC, id DESC);
CREATE INDEX visits_counselor_idx ON visits (counselor_id, visited_at DESC, id DESC);
CREATE INDEX visits_street_idx ON visits (street_id, visited_at DESC, id DESC);
CREATE INDEX visits_visited_at_idx ON visits (visited_at DESC, id DESC);
-- Follow-ups coming due (the counselor's agenda).
CREATE INDEX visits_follow_up_idx ON visits (street_id, follow_up_on) WHERE follow_up_on IS NOT NULL;

-- 诉求: a demand an enterprise raised, worked to resolution against a deadline.
CREATE TABLE service_requests (
    id            uuid PRIMARY KEY,
    enterprise_id uuid NOT NULL REFERENCES enterprises (id),
    street_id     uuid REFERENCES regions (id),
    visit_id      uuid REFERENCES visits (id),
    category      text NOT NULL CHECK (category IN ('space', 'talent', 'housing', 'education', 'finance',
                                                    'policy', 'ip', 'certification', 'market', 'other')),
    priority      text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    title         text NOT NULL,
    description   text NOT NULL,
    status        text NOT NULL CHECK (status IN ('open', 'assigned', 'in_progress', 'resolved', 'closed',
                                                  'rejected', 'escalated')),
    assignee_id   uuid REFERENCES users (id),
    raised_by     uuid NOT NULL REFERENCES users (id),
    -- From the configured SLA for category and priority. Overdue is derived from it and
    -- the status, never stored.
    due_at        timestamptz NOT NULL,
    resolved_at   timestamptz,
    closed_at     timestamptz,
    satisfaction  smallint CHECK (satisfaction BETWEEN 1 AND 5),
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_requests_enterprise_idx ON service_requests (enterprise_id, id);
CREATE INDEX service_requests_street_idx ON service_requests (street_id, status, id);
CREATE INDEX service_requests_status_idx ON service_requests (status, id);
CREATE INDEX service_requests_assignee_idx ON service_requests (assignee_id, status, id);
CREATE INDEX service_requests_visit_id_idx ON service_requests (visit_id);
CREATE INDEX service_requests_raised_by_idx ON service_requests (raised_by);
-- Overdue = still pending and past due: the backlog managers watch.
CREATE INDEX service_requests_pending_due_idx ON service_requests (due_at, id)
    WHERE status IN ('open', 'assigned', 'in_progress', 'escalated');

-- Every move of a request: who, when, from what to what, and why.
CREATE TABLE request_transitions (
    id          uuid PRIMARY KEY,
    request_id  uuid NOT NULL REFERENCES service_requests (id),
    action      text NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    actor_id    uuid NOT NULL REFERENCES users (id),
    note        text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_transitions_request_idx ON request_transitions (request_id, id);
CREATE INDEX request_transitions_actor_id_idx ON request_transitions (actor_id);
