"""Cases (from alarms and citizen reports) with their workflow and SLA clocks."""
