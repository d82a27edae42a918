DROP INDEX offers_lead;
