"""Enterprises, their monitoring sites (air stations, water sections, outlets) and devices."""
