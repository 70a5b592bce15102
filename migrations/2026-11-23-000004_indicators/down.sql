DROP TABLE enterprise_indicators;
