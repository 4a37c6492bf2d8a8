import MienCore
