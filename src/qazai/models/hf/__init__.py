"""QazAI as a Hugging Face Hub for the clients people already have (``huggingface_hub``,
``datasets``): model repos, and the data libraries as dataset repos, in the Hub's own JSON shapes,
file headers and error codes. Read-only; the operations stay in ``qazai.models`` and
``qazai.libraries``, this package only translates."""
