"""Server-rendered web portal in Kazakh, Russian and English."""
