-- People who sign in. Usernames are unique regardless of case.
CREATE TABLE users (
    id            uuid PRIMARY KEY,
    username      text NOT NULL,
    display_name  text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'manager', 'counselor', 'viewer')),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- The streets a counselor (or a scoped viewer) works in: their whole region scope.
CREATE TABLE user_streets (
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    street_id uuid NOT NULL REFERENCES regions (id),
    PRIMARY KEY (user_id, street_id)
);
CREATE INDEX user_streets_street_id_idx ON user_streets (street_id);

-- Refresh tokens, stored as SHA-256 hashes. Each rotation adds a row to the login's
-- family; presenting a spent token again revokes the whole family.
CREATE TABLE refresh_tokens (
    id         uuid PRIMARY KEY,
    family_id  uuid NOT NULL,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);

-- Integration keys (`pk_…`), stored as SHA-256 hashes; shown once at creation.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE,
    -- The first characters of the key, so people can tell their keys apart.
    prefix       text NOT NULL,
    scopes       text[] NOT NULL,
    created_by   uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_created_by_idx ON api_keys (created_by);

-- Failed sign-ins per username and per client address, in a fixed window, shared by
-- every instance.
CREATE TABLE login_failures (
    key               text PRIMARY KEY,
    window_started_at timestamptz NOT NULL,
    failures          integer NOT NULL
);
