from datetime import date

import factory
from allauth.account.models import EmailAddress

from confsite.models import Conference, User


class ConferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conference
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"International Conference on Machine Learning {2026 + n}")
    short_name = factory.Sequence(lambda n: f"ICML {2026 + n}")
    slug = factory.Sequence(lambda n: f"icml{2026 + n}")
    city = "Seoul"
    country = "KR"
    venue = "COEX Convention & Exhibition Center"
    time_zone = "Asia/Seoul"
    start_date = date(2026, 7, 6)
    end_date = date(2026, 7, 11)
    currency = "USD"
    contact_email = "info@confsite.example"
    code_of_conduct = "Be kind. Harassment is not tolerated."
    is_current = False


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = "Ada"
    last_name = "Lovelace"
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class VerifiedUserFactory(UserFactory):
    @factory.post_generation
    def verified_address(obj, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)
