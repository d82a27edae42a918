DROP TABLE buyback_results;
DROP TABLE buyback_events;
DROP TABLE buyback_applications;
DROP TABLE buyback_rules;
DROP TABLE buyback_prices;
DROP TABLE buyback_designations;
DROP TABLE buyback_clerks;
DROP TABLE buyback_centers;
