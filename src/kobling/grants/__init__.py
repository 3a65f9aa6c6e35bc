"""Voluntary and user organisations: grant schemes, rounds, applications, assessment, decisions and reports; premises lending; the public catalogue of offers."""
