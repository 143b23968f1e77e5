"""URLs for documents (invoices, receipts, visa letters and their public verification)."""

from django.urls import path

from . import document_views

urlpatterns = [
    path("documents/invoices/<int:pk>/pdf/", document_views.invoice_pdf, name="invoice_pdf"),
    path("documents/receipts/<int:pk>/pdf/", document_views.receipt_pdf, name="receipt_pdf"),
    path("documents/visa-letters/<int:pk>/pdf/", document_views.visa_letter_pdf, name="visa_letter_pdf"),
    path("documents/visa-letter/", document_views.visa_letter_request, name="visa_letter_request"),
    path("documents/verify/<str:reference>/", document_views.verify_letter, name="verify_visa_letter"),
]
