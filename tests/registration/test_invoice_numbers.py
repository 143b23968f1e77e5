"""Invoice numbers stay gapless and sequential when many orders are paid at once (PostgreSQL)."""

import threading

import pytest
from django.db import connection, transaction

from registration import billing, services
from registration.models import Invoice, Order
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_thirty_concurrent_payments_get_numbers_one_to_thirty(conference, catalogue, full_pass, industry):
    orders = []
    for i in range(30):
        buyer = VerifiedUserFactory(email=f"payer{i}@example.com")
        orders.append(services.place_order(conference=conference, buyer=buyer, accept_code_of_conduct=True,
                                           attendees=[attendee(buyer.email, industry, full_pass)]))
    barrier = threading.Barrier(len(orders))
    errors = []

    def pay(order):
        try:
            barrier.wait()
            billing.record_payment(order, amount=order.total, provider="bank")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(Invoice.objects.filter(kind="invoice").values_list("number", flat=True)) == list(range(1, 31))
    assert Order.objects.filter(status="paid").count() == 30


def test_a_rolled_back_payment_leaves_no_gap(conference, catalogue, full_pass, industry):
    buyers = [VerifiedUserFactory(email=f"p{i}@example.com") for i in range(2)]
    first, second = (services.place_order(conference=conference, buyer=b, accept_code_of_conduct=True,
                                          attendees=[attendee(b.email, industry, full_pass)]) for b in buyers)
    with pytest.raises(RuntimeError), transaction.atomic():
        billing.record_payment(first, amount=first.total, provider="bank")
        raise RuntimeError("the bank import failed after the invoice was written")
    billing.record_payment(second, amount=second.total, provider="bank")
    assert list(Invoice.objects.values_list("order__reference", "number")) == [(second.reference, 1)]
