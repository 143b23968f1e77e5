"""URLs for documents (invoices, receipts, visa letters and their public verification)."""

urlpatterns: list = []
