DROP TABLE analytics_budgets;
DROP TABLE analytics_reports;
DROP TABLE analysis_prices;
DROP TABLE analytics_settings;
