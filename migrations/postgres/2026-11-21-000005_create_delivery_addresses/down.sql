DROP TABLE delivery_addresses;
