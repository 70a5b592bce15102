-- 年度指标: an enterprise's figures for one year. Kept as a JSON document: policies name
-- new figures from time to time, and every figure is optional (unknown until reported).
CREATE TABLE enterprise_indicators (
    enterprise_id uuid NOT NULL REFERENCES enterprises (id),
    year          integer NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    figures       jsonb NOT NULL,
    version       integer NOT NULL DEFAULT 1,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (enterprise_id, year)
);
