DROP TABLE monthly_constraints;
DROP TABLE daily_constraints;
DROP TABLE daily_requests;
DROP TABLE daily_sales;
