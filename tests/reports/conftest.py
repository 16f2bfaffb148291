from tests.web.conftest import city_app, lite_app  # noqa: F401  (the same small city)
