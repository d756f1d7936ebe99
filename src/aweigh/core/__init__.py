"""Core: errors, frozen entities, references, names and clocks. Imports only the stdlib."""
