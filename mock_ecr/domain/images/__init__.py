"""domain/images"""
