-- What the sellers are still to be told of their anonymous orders (made, paid): written with the
-- order's own change, one narrow row; a job tells each office of all of them in one e-mail and
-- deletes what it told, in one transaction.
CREATE TABLE anon_notices (
    order_id TEXT NOT NULL REFERENCES anon_orders (id),
    state TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (order_id, state)
);
