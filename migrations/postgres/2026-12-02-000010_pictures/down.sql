DROP TABLE offer_pictures;
DROP TABLE pictures;
