"""Shipped indicator systems as YAML data, each naming its source."""
