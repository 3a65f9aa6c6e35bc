from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kobling.web"
    verbose_name = "Web"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from kobling.web.middleware import session_touched_at_sign_in

        user_logged_in.connect(session_touched_at_sign_in, dispatch_uid="kobling.session_touch")
