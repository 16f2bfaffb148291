"""PDF/XLSX/DOCX reports generated from the results the pages show."""
