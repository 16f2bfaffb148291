"""Pure rules of the field, each edition with its effective dates.

Modules: ``ids`` (unified social credit code, division codes), ``editions`` (which edition is in
force on a date), ``aqi`` (HJ 633), ``validity`` (GB 3095 §7 / HJ 663 data validity, daily values),
``ambient`` (GB 3095 limits), ``water`` (GB 3838-2002), ``emission`` (O2 correction, limits).
No I/O except reading the package's own data tables.
"""
