DROP TABLE sessions;
DROP TABLE account_events;
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE app_meta;
