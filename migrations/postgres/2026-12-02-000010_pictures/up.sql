-- Product pictures (module `catalog`). A picture is stored once, by the hash of its content,
-- as re-encoded by the shop (a thumbnail for cards and a page-size image), so that every
-- instance serves it from the database; offers link to pictures, and a product shows the
-- pictures of its offers.
CREATE TABLE pictures (
    hash TEXT PRIMARY KEY NOT NULL,
    thumb BYTEA NOT NULL,
    page BYTEA NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE offer_pictures (
    offer_id TEXT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    picture_hash TEXT NOT NULL REFERENCES pictures (hash),
    alt TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (offer_id, position)
);
CREATE INDEX offer_pictures_by_product ON offer_pictures (product_id, position);
