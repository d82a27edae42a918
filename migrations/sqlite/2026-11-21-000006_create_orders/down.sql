DROP TABLE order_events;
DROP TABLE order_approvals;
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE maker_staff;
DROP TABLE makers;
DROP TABLE cart_items;
