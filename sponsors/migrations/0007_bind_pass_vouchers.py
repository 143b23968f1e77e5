"""Complimentary passes issued before registration could bind a voucher to an address: bind each
pass's voucher to the pass's e-mail, and mark the vouchers of revoked passes as revoked."""

from django.db import migrations


def bind(apps, schema_editor):
    ComplimentaryPass = apps.get_model("sponsors", "ComplimentaryPass")
    Voucher = apps.get_model("registration", "Voucher")
    for complimentary_pass in ComplimentaryPass.objects.all().only("email", "voucher_id", "revoked_at"):
        fields = {"for_email": complimentary_pass.email.strip().lower()}
        if complimentary_pass.revoked_at is not None:
            fields["revoked_at"] = complimentary_pass.revoked_at
        Voucher.objects.filter(pk=complimentary_pass.voucher_id).update(**fields)


class Migration(migrations.Migration):

    dependencies = [
        ("sponsors", "0006_member_invitations"),
        ("registration", "0006_voucher_recipient"),
    ]

    operations = [
        migrations.RunPython(bind, migrations.RunPython.noop),
    ]
