// Migration 1: the leader lease (src/cluster/leader.ts). One row per election name. Times come from the database's
// now(), so the clocks of the instances never matter; backend_pid names the session that holds the advisory lock,
// so a follower can end that session (and only that one) when its lease has long run out.
export const LEADER_MIGRATION = `
CREATE TABLE leader_lease (
  name text PRIMARY KEY,
  holder text NOT NULL,
  backend_pid integer NOT NULL,
  acquired_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
`;
