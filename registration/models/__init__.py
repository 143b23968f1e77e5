"""Registration models, one module per area: what is sold and ordered, payments, documents."""

from .documents import Invoice, InvoiceSequence, PassportData, VisaLetter
from .orders import (
    Category,
    CheckIn,
    ConferenceDay,
    EligibilityDomain,
    EligibilityProof,
    Order,
    OrderLine,
    Price,
    PricePeriod,
    Product,
    Quota,
    Registration,
    RegistrationSettings,
    RevokedCheckinToken,
    SensitiveNeeds,
    Voucher,
    WaitingListEntry,
    new_checkin_token,
)
from .payments import Payment, Refund, RefundPolicy, StripeEvent

__all__ = [
    "Category", "CheckIn", "ConferenceDay", "EligibilityDomain", "EligibilityProof", "Invoice", "InvoiceSequence", "Order", "OrderLine",
    "PassportData", "Payment", "Price", "PricePeriod", "Product", "Quota", "Refund", "RefundPolicy", "Registration",
    "RegistrationSettings", "RevokedCheckinToken", "SensitiveNeeds", "StripeEvent", "VisaLetter", "Voucher",
    "WaitingListEntry", "new_checkin_token",
]
