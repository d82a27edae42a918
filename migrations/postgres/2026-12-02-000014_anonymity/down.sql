DROP TABLE anon_order_events;
DROP TABLE anon_orders;
DROP TABLE anon_results;
DROP TABLE prepaid_cards;
DROP TABLE prepaid_batches;
DROP TABLE pickup_point_staff;
DROP TABLE pickup_points;
