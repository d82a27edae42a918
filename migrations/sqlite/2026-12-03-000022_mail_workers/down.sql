DROP TABLE mail_workers;
