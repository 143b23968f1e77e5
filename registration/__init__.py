"""Registration: categories, passes, prices, orders, payments (features arrive with their issues)."""
