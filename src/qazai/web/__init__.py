"""The web portal: server-rendered pages in Kazakh, Russian and English over the same service
functions as the API. :func:`install_web` mounts it into the FastAPI app."""

from qazai.web.app import WEB_UPLOAD_PREFIX, install_web, is_web_path

__all__ = ["WEB_UPLOAD_PREFIX", "install_web", "is_web_path"]
