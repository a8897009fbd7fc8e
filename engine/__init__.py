"""promorules engine: compiled evaluation of rulesets against carts, and the CLI."""
