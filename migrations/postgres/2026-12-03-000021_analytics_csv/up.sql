-- A report's whole result as its CSV download, written once when it is bought; the report row
-- keeps what its page shows (each table's first rows), so a page of a year-long extract stays
-- small. Reports bought before this have no row here: their CSV is made from the report row.
CREATE TABLE analytics_report_csv (
    report_id TEXT PRIMARY KEY NOT NULL REFERENCES analytics_reports (id),
    body TEXT NOT NULL
);
