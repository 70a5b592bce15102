-- Console sessions (the pages people open): the browser holds a random secret in an
-- HttpOnly cookie; only its SHA-256 is stored, beside the CSRF token its forms carry.
-- A session ends when idle for too long, at its absolute end, on sign-out, and when its
-- user is deactivated (the row is deleted, and every request checks the account anyway).
CREATE TABLE console_sessions (
    id uuid PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- Also what a sign-in sweeps its user's ended sessions by.
CREATE INDEX console_sessions_user_id ON console_sessions (user_id);
