DROP TABLE anon_notices;
