DROP TABLE analytics_report_csv;
