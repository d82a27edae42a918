DROP TABLE request_constraints;
DROP TABLE purchase_requests;
DROP TABLE sales;
