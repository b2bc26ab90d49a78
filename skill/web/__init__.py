"""The web wing: where a request enters. The Flask app (`app.create_app`), Alexa's request
verification, envelope (de)serialisation, and the AWS Lambda entry point. Only entry points
import this wing."""
