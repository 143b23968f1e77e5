"""Celery tasks of the core: they take primary keys and call the services."""

from celery import shared_task

from . import outbox, periodic


@shared_task(name="confsite.tasks.send_outbox_email")
def send_outbox_email(pk: int) -> str:
    return outbox.deliver(pk)


@shared_task(name="confsite.tasks.run_due_work")
def run_due_work() -> dict[str, str]:
    return periodic.run_due_work()
