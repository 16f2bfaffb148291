"""Users, roles and the scope (region, park or enterprise) each user may see."""
