from credit_service.web import create_app

app = create_app()
