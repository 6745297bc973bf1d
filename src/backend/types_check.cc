// placeholder, replaced by the backend layer
