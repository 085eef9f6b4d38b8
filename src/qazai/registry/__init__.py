"""AI system registry under the Law on AI: classification, screening, reviews, pilots, complaints."""
