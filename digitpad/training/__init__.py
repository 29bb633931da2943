"""Training the bundled model: data, recipes, export."""
